"""One RunFolder for every run: lock, settings fingerprint, resume refusal, nothing written when refused."""

import json

import pytest
from filelock import FileLock

from neuroworm.errors import ConfigError
from neuroworm.pipelines.pretraining import PretrainSettings, pretrain
from neuroworm.pipelines.run_folder import LOCK_NAME, RunFolder


def claim(folder, settings, resume, **extra):
    """Open ``folder`` for a run that does nothing."""
    with folder.open(settings, resume, **extra):
        pass


def test_a_new_folder_is_created_locked_and_given_its_settings(tmp_path):
    folder = RunFolder(tmp_path / "run", grows={"generations"})
    with folder.open({"seed": 1, "generations": 5}, resume=False, extra={"note": "kept"}), \
            pytest.raises(ConfigError, match="in use by another neuroworm run"):
        claim(RunFolder(tmp_path / "run"), {"seed": 1}, resume=True)
    assert json.loads(folder.settings_path.read_text()) == {"seed": 1, "generations": 5, "note": "kept"}
    assert folder.fingerprint({"seed": 1, "generations": 5}) == {"seed": 1}


def test_a_started_run_is_refused_without_resume_and_with_other_settings(tmp_path):
    folder = RunFolder(tmp_path, grows={"generations"})
    claim(folder, {"seed": 1, "generations": 5}, resume=False)
    before = folder.settings_path.read_text()
    with pytest.raises(ConfigError, match="already holds a run"):
        claim(folder, {"seed": 1, "generations": 5}, resume=False)
    with pytest.raises(ConfigError, match=r"different settings .*'seed': \(1, 2\)"):
        claim(folder, {"seed": 2, "generations": 5}, resume=True)
    assert folder.settings_path.read_text() == before  # a refusal writes nothing
    assert folder.can_resume({"seed": 1, "generations": 9})  # growing settings may differ
    claim(folder, {"seed": 1, "generations": 9}, resume=True)
    assert json.loads(folder.settings_path.read_text())["generations"] == 9


def test_a_setting_missing_from_the_saved_file_reads_as_its_default(tmp_path):
    folder = RunFolder(tmp_path, defaults={"common_seeds": False})
    folder.settings_path.write_text(json.dumps({"seed": 1}))
    assert folder.differing({"seed": 1, "common_seeds": False}) == {}
    assert folder.differing({"seed": 1, "common_seeds": True}) == {"common_seeds": (False, True)}
    assert RunFolder(tmp_path).differing({"seed": 1, "common_seeds": False}) == {"common_seeds": (None, False)}


def test_unreadable_saved_settings_are_a_config_error(tmp_path):
    folder = RunFolder(tmp_path)
    folder.settings_path.write_text("[1, 2")
    with pytest.raises(ConfigError, match="cannot be read as a run's settings"):
        claim(folder, {"seed": 1}, resume=True)


def test_a_second_pretrain_into_a_locked_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with FileLock(out / LOCK_NAME, timeout=0), pytest.raises(ConfigError, match="in use by another neuroworm run"):
        pretrain(PretrainSettings.from_paper(), out)
    assert not (out / "settings.json").exists()  # refused before anything was written
