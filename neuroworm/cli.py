"""The ``neuroworm`` command line.

::

    neuroworm connectomes                 table of the bundled connectomes
    neuroworm connectome info NAME        statistics and citation of one connectome
    neuroworm evolve [options]            evolve a connectome controller on a task
    neuroworm pretrain [options]          ES pre-training then GA fine-tuning of a worm (honest, held-out returns)
    neuroworm finetune WORM --epochs N    OpenAI-ES on every gene of a saved worm (common random numbers)
    neuroworm evaluate GENOME|RUN_DIR     held-out returns and gait of a saved worm (--json, --video)
    neuroworm demo [--out runs/demo]      the main job (``make demo``)
    neuroworm reproduce --list            every figure and table of the papers, and which are implemented
    neuroworm reproduce PAPER ITEM        one of them: ITEM.csv, ITEM.png, ITEM.json in --out
"""

import argparse
import json
import sys
from pathlib import Path

from .errors import ConfigError, NeuroWormError

__all__ = ["main"]


def _print_table(frame, columns):
    import pandas as pd

    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 60):
        print(frame[columns].to_string())


def command_connectomes(args):
    """Print the table of bundled connectomes."""
    from .connectome import list_connectomes

    table = list_connectomes()
    if args.citations:
        _print_table(table, ["organism", "cells", "chemical_edges", "electrical_edges", "citation", "doi"])
    else:
        _print_table(table, ["organism", "cells", "chemical_edges", "electrical_edges", "weight_unit"])
    return 0


def command_connectome_info(args):
    """Print one connectome's statistics, cell classes and citation."""
    from .connectome import load_connectome

    connectome = load_connectome(args.name)
    metadata = connectome.metadata
    print(f"{connectome.name}: {metadata.get('title', '')}")
    print(f"  organism   {metadata.get('organism', '')}")
    print(f"  citation   {metadata.get('citation', '')}")
    print(f"  doi        {metadata.get('doi', '')}")
    print(f"  weight     {metadata.get('weight_unit', '')}")
    print("  cells by class:")
    for cell_class, count in connectome.neurons["cell_class"].value_counts().sort_index().items():
        print(f"    {cell_class:<8} {count}")
    print("  statistics:")
    for key, value in connectome.stats().items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"    {key:<28} {text}")
    return 0


def _settings_from(args):
    from .pipelines.evolve import EvolutionSettings

    return EvolutionSettings.from_paper(
        connectome=args.connectome, circuit=args.circuit, model=args.model, task=args.task,
        strategy=args.strategy, population=args.population, generations=args.generations,
        episode_steps=args.episode_steps, neural_steps_per_env_step=args.neural_steps, backend=args.backend,
        seed=args.seed, elites=args.elites,
    ).validate()


def _report_evolution(result, out):
    frame = result.logbook_frame()
    first, last = frame.iloc[0], frame.iloc[-1]
    print(f"\nbest return: generation 0 {first['max']:.2f} -> generation {int(last['gen'])} {last['best']:.2f} "
          f"(population mean {first['mean']:.2f} -> {last['mean']:.2f})")
    print(f"results in {out}/: logbook.csv, best_genome.npz, checkpoint.npz, fitness.png, best_trajectory.png, "
          "best_raster.png")


def command_evolve(args):
    """Evolve a connectome controller (see ``neuroworm evolve --help``)."""
    from .pipelines.evolve import evolve_controller

    settings = _settings_from(args)
    result = evolve_controller(settings, args.out, resume=args.resume, dask=args.dask, processes=args.processes,
                               progress=not args.quiet, checkpoint_every=args.checkpoint_every)
    _report_evolution(result, args.out)
    return 0


def command_pretrain(args):
    """ES pre-training then GA fine-tuning (see ``neuroworm pretrain --help``)."""
    from .pipelines.pretraining import PretrainSettings, pretrain

    settings = PretrainSettings.from_paper(
        connectome=args.connectome, circuit=args.circuit, model=args.model, task=args.task,
        es_epochs=args.es_epochs, es_population=args.es_population, es_episode_steps=args.es_episode_steps,
        es_transient_steps=args.es_transient_steps, es_windows=args.es_windows,
        ga_generations=args.ga_generations, ga_population=args.ga_population, finetune_epochs=args.finetune_epochs,
        episode_steps=args.episode_steps, ga_episode_steps=args.episode_steps, seed=args.seed,
        processes=args.processes, common_seeds=args.common_seeds,
        **({"episodes_per_individual": args.episodes} if args.episodes is not None else {}),
    )
    summary = pretrain(settings, args.out, resume=args.resume, progress=not args.quiet, log=sys.stdout)
    print(f"worm: {summary['worm']}  test return over {len(summary['test_returns'])} held-out seeds: "
          f"{summary['test_mean']:.1f} ± {summary['test_std']:.1f}")
    return 0


def command_finetune(args):
    """OpenAI-ES on every gene of a saved worm (see ``neuroworm finetune --help``)."""
    from .pipelines.pretraining import finetune

    summary = finetune(args.worm, args.out, args.epochs, population=args.population, sigma=args.sigma,
                       learning_rate=args.learning_rate, episodes=args.episodes,
                       common_seeds=not args.independent_seeds, seed=args.seed, processes=args.processes,
                       resume=args.resume, progress=not args.quiet, log=sys.stdout, steady=args.steady)
    print(f"worm: {summary['worm']}  validation {summary['start_validation_mean']:.1f} -> "
          f"{summary['validation_mean']:.1f}; test return over {len(summary['test_returns'])} held-out seeds: "
          f"{summary['test_mean']:.1f} ± {summary['test_std']:.1f}")
    return 0


def command_evaluate(args):
    """Held-out returns and gait of a saved genome (see ``neuroworm evaluate --help``)."""
    import json

    from .analysis.swim import evaluate_genome
    from .limits import require_memory
    from .validation import check_integer

    if args.video is not None and not Path(args.video).expanduser().parent.is_dir():  # refused before the episodes run
        raise ConfigError(f"--video {args.video}: the folder {Path(args.video).expanduser().parent} does not exist")
    episodes = check_integer("--episodes", args.episodes, minimum=1)
    steps = 1000 if args.episode_steps is None else check_integer("--episode-steps", args.episode_steps, minimum=1)
    require_memory(episodes * _episode_bytes(steps), f"{episodes} episodes of {steps} steps",
                   advice="evaluate fewer episodes")
    result = evaluate_genome(args.genome, episodes=args.episodes, seed=args.seed, backend=args.backend,
                             episode_steps=args.episode_steps)
    summary = result.to_dict()
    if args.video:
        from .analysis.video import render_video

        best = int(result.returns.argmax())
        written, used = render_video(result.record, args.video, individual=best)
        summary["video"] = {"path": str(written), "renderer": used, "episode": best}
    if args.json:
        print(json.dumps(summary))
    else:
        print(result.summary())
        if args.video:
            print(f"video of episode {summary['video']['episode']} ({used} renderer): {written}")
    return 0


def _episode_bytes(steps):
    """Memory of one recorded episode: measured 1.2 KiB per step of Swimmer-v5, plus its body and network."""
    return 2048 * steps + 65536


def command_demo(args):
    """Summarise the bundled connectomes, draw the C. elegans figures, and show the bundled worm swimming."""
    import matplotlib

    matplotlib.use("Agg")
    from . import plot
    from .connectome import list_connectomes, load_connectome, locomotion_circuit

    _check_demo(args)  # before the folder is made: a refused demo leaves nothing
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print("Bundled connectomes:")
    _print_table(list_connectomes(), ["organism", "cells", "chemical_edges", "electrical_edges"])
    worm = load_connectome("cook2019_hermaphrodite")
    circuit = locomotion_circuit(worm)
    print(f"\n{worm!r}\n{circuit!r}")
    written = [
        plot.save(plot.connectome_matrix(worm), out / "cook2019_adjacency_by_class.png"),
        plot.save(plot.degree_distribution(worm), out / "cook2019_degree_distributions.png"),
        plot.save(plot.connectome_matrix(circuit.connectome), out / "locomotion_circuit_adjacency.png"),
    ]
    print("\nFigures written:")
    for path in written:
        print(f"  {path}")
    if args.generations == 0:
        return 0
    from .pipelines.demo import swimming_demo

    swimming_demo(out / "swimming_worm", worm=args.worm, generations=args.generations, population=args.population,
                  test_episodes=args.test_episodes, episode_steps=args.episode_steps)
    return 0


def _check_demo(args):
    """Every number and the worm file of ``neuroworm demo``, checked before anything is written."""
    from .validation import check_integer

    generations = check_integer("--generations", args.generations, minimum=0)
    if generations == 0:
        return
    check_integer("--population", args.population, minimum=2)
    check_integer("--test-episodes", args.test_episodes, minimum=1)
    if args.episode_steps is not None:
        check_integer("--episode-steps", args.episode_steps, minimum=1)
    from .pipelines.demo import bundled_worm
    from .pipelines.evolve import _bytes_per_individual
    from .pipelines.pretraining import load_worm
    from .pipelines.run_folder import require_memory

    _, settings, _, layout = load_worm(bundled_worm() if args.worm is None else args.worm)
    require_memory(args.population * _bytes_per_individual(layout), f"a population of {args.population}")
    steps = settings.episode_steps if args.episode_steps is None else args.episode_steps
    require_memory(args.test_episodes * _episode_bytes(steps), f"{args.test_episodes} test episodes of {steps} steps",
                   advice="score fewer test episodes")


def _check_paths(args):
    """Refuse an empty path (``--out ""`` would write into the working directory)."""
    for name in ("out", "worm", "genome", "video", "data"):
        value = getattr(args, name, None)
        if value is not None and not str(value).strip():
            raise ConfigError(f"{'--' if name in ('out', 'video', 'data') else ''}{name} must name a path, "
                              "got an empty string")


def command_reproduce(args):
    """List the reproducible items, print the claims table, or run one item and write its files."""
    from .papers.registry import item_options
    from .papers.reproduce import assemble, default_out, list_items, report, reproduce

    if args.list:
        table = list_items()
        for paper, rows in table.groupby("paper", sort=False):
            print(paper)
            for row in rows.itertuples():
                print(f"  {row.item:<10} {row.status:<16} {row.title}")
        return 0
    if args.report is not None:
        print(report(args.report))
        return 0
    if not args.paper or not args.item:
        raise ConfigError("name a PAPER and an ITEM (e.g. `neuroworm reproduce schmidgall2023 fig3`), "
                          "or use --list to see them all, or --report for the claims table")
    options = {key: getattr(args, key) for key in item_options() if getattr(args, key, None) is not None}
    if args.out is not None and not str(args.out).strip():
        raise ConfigError("--out must name a folder, got an empty string")
    out = Path(args.out) if args.out else default_out(args.paper, args.item, args.scale)
    if args.assemble:  # no run: pool the seed files already in the folder (copied in, or re-pooled after a change)
        document = assemble(out, args.paper, args.item, scale=args.scale, options=options)
        print(f"{args.paper} {args.item} ({args.scale} scale): pooled seeds {document['seeds']} from {out / 'seeds'}")
    else:
        document = reproduce(args.paper, args.item, scale=args.scale, seed=args.seed, seeds=args.seeds,
                             out=args.out, **options)
        print(f"{args.paper} {args.item} ({args.scale} scale, seeds {document['seeds']}) took "
              f"{document['seconds']:.1f} s")
    for claim in document["claims"]:
        print(f"  {claim['verdict']:<26} {claim['text']}")
    print(f"  ours:  {json.dumps({name: summary['mean'] for name, summary in document['ours'].items()})}")
    if document["notes"]:
        print(f"  notes: {document['notes']}")
    print(f"  wrote {out / args.item}.json, .csv and .png (per seed: {out / 'seeds'})")
    return 0


def build_parser():
    """The argument parser of the ``neuroworm`` command (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="neuroworm",
        description="Biological connectomes as networks that can be simulated and evolved.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("connectomes", help="table of the bundled connectomes")
    listing.add_argument("--citations", action="store_true", help="show citations and DOIs")
    listing.set_defaults(handler=command_connectomes)

    connectome = commands.add_parser("connectome", help="inspect one bundled connectome")
    connectome_commands = connectome.add_subparsers(dest="connectome_command", metavar="ACTION", required=True)
    info = connectome_commands.add_parser("info", help="statistics, cell classes and citation")
    info.add_argument("name", help="a dataset id from `neuroworm connectomes`")
    info.set_defaults(handler=command_connectome_info)

    from .backends import backend_names
    from .neurons.models import model_names
    from .pipelines.evolve import CIRCUITS, STRATEGIES

    evolve = commands.add_parser(
        "evolve", help="evolve a connectome controller on a task",
        description="Evolve the weights of a connectome circuit (Dale's law kept: w = s*exp(w_log)) with the "
        "papers' elite GA or evolution strategies, in closed loop with a gymnasium task. Writes a checkpoint "
        "every generation; --resume continues an interrupted run to the same result.",
    )
    evolve.add_argument("--connectome", default="cook2019_hermaphrodite", help="bundled connectome id")
    evolve.add_argument("--circuit", default="locomotion", choices=list(CIRCUITS))
    evolve.add_argument("--model", default="alif", choices=list(model_names(spiking=True)))
    evolve.add_argument("--task", default="Swimmer-v5", help="gymnasium id, e.g. Swimmer-v5, neuroworm/Swimmer6-v0")
    evolve.add_argument("--strategy", default="ga", choices=list(STRATEGIES))
    evolve.add_argument("--population", type=int, default=64, help="individuals per generation (paper: 750)")
    evolve.add_argument("--elites", type=int, default=8, help="elites kept by the GA (paper: 8)")
    evolve.add_argument("--generations", type=int, default=20)
    evolve.add_argument("--episode-steps", type=int, default=1000)
    evolve.add_argument("--neural-steps", type=int, default=None,
                        help="neural steps per environment step K (default: 4 for LIF/ALIF, 10 for Izhikevich)")
    evolve.add_argument("--backend", default="brian2", choices=backend_names(),
                        help="a registered backend (neuroworm.backends.backend_names())")
    evolve.add_argument("--seed", type=int, default=1)
    evolve.add_argument("--out", required=True, help="folder for the run's results")
    evolve.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    evolve.add_argument("--checkpoint-every", type=int, default=1)
    evolve.add_argument("--dask", metavar="ADDRESS", help="'local' for a LocalCluster, or a scheduler address")
    evolve.add_argument("--processes", type=int, metavar="N",
                        help="split each generation over N local worker processes (same results, faster on 2+ cores)")
    evolve.add_argument("--quiet", action="store_true", help="no progress bar")
    evolve.set_defaults(handler=command_evolve)

    pretrain = commands.add_parser(
        "pretrain", help="ES pre-training then GA fine-tuning of a connectome controller",
        description="Schmidgall et al. (2023) A.2: OpenAI-ES on shared excitatory/inhibitory log-weights, neuron "
        "constants and the encoder/decoder, then the elite GA on every synapse from the ES product. Fitness is the "
        "mean over m episodes; the logbooks score the product on validation seeds every 10 generations; the final "
        "worm is scored on 16 test seeds (OUT/test.json). Both stages checkpoint every generation.",
    )
    pretrain.add_argument("--connectome", default="cook2019_hermaphrodite", help="bundled connectome id")
    pretrain.add_argument("--circuit", default="locomotion", choices=list(CIRCUITS))
    pretrain.add_argument("--model", default="alif", choices=list(model_names(spiking=True)))
    pretrain.add_argument("--task", default="Swimmer-v5", help="e.g. Swimmer-v5, neuroworm/Swimmer6-v0")
    pretrain.add_argument("--es-epochs", type=int, default=300, help="ES epochs (paper: 1000)")
    pretrain.add_argument("--es-population", type=int, default=200, help="ES population (paper: 200)")
    pretrain.add_argument("--es-episode-steps", type=int, default=500,
                          help="episode length during ES (held-out and test episodes use --episode-steps)")
    pretrain.add_argument("--es-transient-steps", type=int, default=50,
                          help="the ES fitness ignores the rewards of the first N steps (returns reported: all steps)")
    pretrain.add_argument("--es-windows", type=int, default=3,
                          help="the ES fitness is W x the worst of W windows of the rest (rewards sustained swimming)")
    pretrain.add_argument("--ga-generations", type=int, default=20)
    pretrain.add_argument("--ga-population", type=int, default=100, help="GA population (paper: 750)")
    pretrain.add_argument("--finetune-epochs", type=int, default=0,
                          help="then N epochs of OpenAI-ES on every gene from the GA's product (not the paper's; "
                          "default 0: off)")
    pretrain.add_argument("--episode-steps", type=int, default=1000, help="GA, validation and test episode length")
    pretrain.add_argument("--episodes", type=int, default=None,
                          help="m, episodes per individual (default: models/schmidgall2023.toml)")
    pretrain.add_argument("--seed", type=int, default=0)
    pretrain.add_argument("--processes", type=int, default=1, help="worker processes per generation")
    pretrain.add_argument("--out", required=True, help="folder for the run")
    pretrain.add_argument("--resume", action="store_true", help="continue an interrupted run in OUT")
    pretrain.add_argument("--common-seeds", action="store_true",
                          help="every individual of a generation meets the same reset seeds (common random numbers)")
    pretrain.add_argument("--quiet", action="store_true", help="no progress bars")
    pretrain.set_defaults(handler=command_pretrain)

    finetune = commands.add_parser(
        "finetune", help="OpenAI-ES on every gene of a saved worm",
        description="Fine-tune a worm file (a pre-training run's worm.npz or a bundled one) by OpenAI-ES on every "
                    "gene: antithetic offspring, centred ranks, Adam, plain full-episode returns, common random "
                    "numbers. The start and, every 10 epochs, the centre are scored on the validation seeds "
                    "(OUT/finetune/logbook.csv); the product is the last centre, scored once on the 16 test seeds "
                    "(OUT/test.json). Checkpoints every epoch; --resume continues (and may raise --epochs).",
    )
    finetune.add_argument("worm", help="worm file (.npz) to start from")
    finetune.add_argument("--epochs", type=int, required=True, help="ES epochs")
    finetune.add_argument("--population", type=int, default=200, help="offspring per epoch (even)")
    finetune.add_argument("--sigma", type=float, default=0.02, help="perturbation standard deviation")
    finetune.add_argument("--learning-rate", type=float, default=0.01, help="Adam learning rate")
    finetune.add_argument("--episodes", type=int, default=None, help="m, episodes per offspring (default: the worm's)")
    finetune.add_argument("--independent-seeds", action="store_true",
                          help="one reset seed per offspring instead of one per epoch for all (common random numbers)")
    finetune.add_argument("--seed", type=int, default=0)
    finetune.add_argument("--processes", type=int, default=1, help="worker processes per epoch")
    finetune.add_argument("--steady", type=float, default=None, metavar="FRACTION",
                          help="train on a steadiness-aware score: the return, less what the gait's last quarter "
                               "loses below FRACTION of the first's frequency and amplitude (e.g. 0.8)")
    finetune.add_argument("--out", required=True, help="folder for the run")
    finetune.add_argument("--resume", action="store_true", help="continue an interrupted run in OUT")
    finetune.add_argument("--quiet", action="store_true", help="no progress bars")
    finetune.set_defaults(handler=command_finetune)

    evaluate = commands.add_parser(
        "evaluate", help="held-out returns and gait of a saved worm",
        description="Run a saved genome (worm.npz, best_genome.npz, or a run folder holding one) on N episodes "
        "with reset seeds no training step used, and report each return, their mean and std, and the gait: "
        "undulation frequency, amplitude per joint, phase lag between neighbouring joints, and whether a "
        "travelling wave runs down the body.",
    )
    evaluate.add_argument("genome", help="GENOME.npz or RUN_DIR")
    evaluate.add_argument("--episodes", type=int, default=16, help="held-out episodes (default 16)")
    evaluate.add_argument("--seed", type=int, default=0,
                          help="which held-out seeds: TEST_SEED_BASE + seed*episodes + i (default 0: the test seeds)")
    evaluate.add_argument("--backend", help="default: the file's (reference for spiking, relu for ReLU genomes)")
    evaluate.add_argument("--episode-steps", type=int, help="default: the file's (1000)")
    evaluate.add_argument("--json", action="store_true",
                          help="print one JSON object: returns, mean, std, gait (frequency_hz, amplitude_rad, "
                          "phase_lag_rad, travelling_wave), ...")
    evaluate.add_argument("--video", metavar="FILE",
                          help="render the best episode (.gif, or .mp4 with ffmpeg); MuJoCo's renderer "
                          "(MUJOCO_GL=egl/osmesa) or else a matplotlib drawing of the links")
    evaluate.set_defaults(handler=command_evaluate)

    demo = commands.add_parser("demo", help="the main job: connectome figures and the bundled worm swimming (make demo)")
    demo.add_argument("--out", default="runs/demo", help="folder for figures (default: runs/demo)")
    demo.add_argument("--worm", help="a worm file (default: the bundled pre-trained ALIF worm, Swimmer-v5)")
    demo.add_argument("--population", type=int, default=32, help="GA individuals (the paper: 750)")
    demo.add_argument("--generations", type=int, default=4, help="GA generations from the worm; 0 skips the swim")
    demo.add_argument("--test-episodes", type=int, default=16, help="held-out episodes scored before and after")
    demo.add_argument("--episode-steps", type=int, default=None, help="episode length (default: the worm's, 1000)")
    demo.set_defaults(handler=command_demo)

    from .papers.registry import PAPERS, item_options
    from .papers.reproduce import SCALES

    reproduce = commands.add_parser(
        "reproduce", help="reproduce a figure or table of one of the papers",
        description="Run one figure or table of the papers and write ITEM.csv, ITEM.png and ITEM.json (the paper's "
        "numbers beside ours, scale, seed, seconds, command) into --out. --list shows every item and whether it "
        "is implemented.",
    )
    reproduce.add_argument("paper", nargs="?", choices=list(PAPERS), metavar="PAPER",
                           help=f"one of: {', '.join(PAPERS)}")
    reproduce.add_argument("item", nargs="?", metavar="ITEM", help="e.g. fig3, table1 (see --list)")
    reproduce.add_argument("--list", action="store_true", help="list every item and whether it is implemented")
    reproduce.add_argument("--report", nargs="?", const="reproductions", metavar="DIR",
                           help="print the claims table from the committed results (default DIR: reproductions)")
    reproduce.add_argument("--scale", default="small", choices=list(SCALES),
                           help="small: a smoke run in minutes (default); medium: tests the claim in <= 60 min a "
                           "command (committed under reproductions/); paper: the paper's sizes")
    reproduce.add_argument("--seed", type=int, default=0, help="the first seed (default 0)")
    reproduce.add_argument("--seeds", type=int, default=1, help="how many consecutive seeds to run (default 1); "
                           "seed files already in --out are pooled with them")
    reproduce.add_argument("--out", help="folder for the files (default: reproductions/PAPER/ITEM at medium "
                           "scale, runs/reproduce/PAPER/ITEM otherwise)")
    reproduce.add_argument("--assemble", action="store_true",
                           help="run nothing: pool the seed files already in --out/seeds (of --scale) into ITEM.json, "
                           ".csv and .png, e.g. after copying in seeds run elsewhere")
    for option, (text, users) in item_options().items():
        reproduce.add_argument(f"--{option}", help=f"{text} ({', '.join(users)})")
    reproduce.set_defaults(handler=command_reproduce)
    return parser


def main(argv=None):
    """Entry point of the ``neuroworm`` console script; returns the exit status.

    Ctrl-C at any moment, start-up and argument parsing included, prints one
    line (with the command that resumes a resumable run) and returns 130.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 0
        return _run_reporting_errors(args.handler, args, argv)
    except KeyboardInterrupt:
        print(_interrupted(args, argv), file=sys.stderr)
        return 130
    except ImportError as error:  # Ctrl-C inside a library's import surfaces as an ImportError chained to it
        if not _caused_by_interrupt(error):
            raise
        print(_interrupted(args, argv), file=sys.stderr)
        return 130


def _caused_by_interrupt(error):
    """Whether ``error`` was raised while handling, or because of, a KeyboardInterrupt."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _interrupted(args, argv):
    """The one line printed on Ctrl-C: how to resume, where the command can."""
    import shlex

    if getattr(args, "command", None) in ("evolve", "pretrain", "finetune"):
        again = argv if "--resume" in argv else [*argv, "--resume"]
        return f"neuroworm: interrupted; resume with: {shlex.join(['neuroworm', *again])}"
    return f"neuroworm: interrupted; run it again with: {shlex.join(['neuroworm', *argv])}"


def _run_reporting_errors(handler, args, argv=None):
    """Run a subcommand; errors a user can cause become one line on stderr and a non-zero exit status.

    Every subcommand gets this, including ones added later: ``NeuroWormError``
    (bad input, named by the code that found it) exits with 2, the operating
    system refusing a file or the network (``OSError``: permissions, a full
    disk, an unreachable address) with 1, ``MemoryError`` with 1 and what
    could not be allocated, Ctrl-C with 130 (a checkpoint is saved first). A
    traceback still shows for anything else: that is a bug to report.
    """
    try:
        _check_paths(args)
        return handler(args)
    except NeuroWormError as error:
        print(f"neuroworm: error: {error}", file=sys.stderr)
        return 2
    except MemoryError as error:
        detail = f" ({error})" if str(error) else ""
        print(f"neuroworm: error: out of memory{detail}; use a smaller population or fewer steps", file=sys.stderr)
        return 1
    except OSError as error:
        where = f" {error.filename}" if getattr(error, "filename", None) else ""
        if len(where) > 240:  # a 5,000-character path: its ends say which
            where = f"{where[:120]} ... {where[-100:]} ({len(where) - 1:,} characters)"
        print(f"neuroworm: error:{where} {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(_interrupted(args, sys.argv[1:] if argv is None else argv), file=sys.stderr)
        return 130
    except ImportError as error:
        if not _caused_by_interrupt(error):
            raise
        print(_interrupted(args, sys.argv[1:] if argv is None else argv), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
