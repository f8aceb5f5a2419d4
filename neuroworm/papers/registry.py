"""Every reproducible figure and table of the four papers, by paper and item.

Each item maps to a ``"module:function"`` entry point, imported only when the
item runs (the way gymnasium's registry carries entry points), so listing the
items imports nothing heavy. An item is *implemented* when its module can be
imported and has the function; :func:`neuroworm.papers.reproduce.list_items`
reports which are.

An item function has the signature::

    def ITEM(*, scale="small", seed=0, out=None, **options) -> Reproduction

and returns a :class:`neuroworm.papers.reproduce.Reproduction`.
"""

from dataclasses import dataclass

__all__ = ["ITEMS", "OPTIONS", "PAPERS", "Item", "item_options"]


@dataclass(frozen=True)
class Item:
    """One reproducible figure or table.

    Attributes
    ----------
    paper, name : str
        How the command line names it: ``neuroworm reproduce PAPER NAME``.
    entry_point : str
        ``"module:function"`` of the function that computes it.
    title : str
        What the item shows, in one line.
    options : tuple of str
        Extra command-line options the item accepts (``dataset``, ``data``);
        ``neuroworm reproduce`` offers a ``--OPTION`` flag for each.
    scales : tuple of str
        The scales the item offers (``small``, ``medium``, ``paper``).
    """

    paper: str
    name: str
    entry_point: str
    title: str
    options: tuple = ()
    scales: tuple = ("small", "paper")


PAPERS = {
    "schmidgall2023": "Schmidgall, Schuman & Parsa (2023), Biological connectomes as a representation for the "
                      "architecture of artificial neural networks",
    "gorantla2019": "Gorantla, Louis, Papadimitriou, Vempala & Yadati, Biologically plausible neural networks via "
                    "evolutionary dynamics and dopaminergic plasticity (NNE, DNN)",
    "bertens2019": "Bertens & Lee (2019), Network of evolvable neural units: evolving to learn at a synaptic level "
                   "(ENU)",
    "bardozzo2023": "Bardozzo, Terlizzi, Simoncini, Lió & Tagliaferri (2023), ElegansNet: a brief scientific "
                    "report and initial experiments",
    "beyond": "Beyond the papers: questions the papers leave open, put to the same tests",
}
"""Paper ids accepted by ``neuroworm reproduce``, with the paper each stands for."""


def _items(paper, module, entries, options=()):
    """Items of one paper; an entry is ``(function, title)``, ``(function, title, options)`` or
    ``(function, title, options, scales)``; ``module`` may be any module under ``neuroworm.papers``."""
    return {
        name: Item(paper, name, f"neuroworm.papers.{module}:{entry[0]}", entry[1],
                   entry[2] if len(entry) > 2 else options,
                   *((tuple(entry[3]),) if len(entry) > 3 else ()))
        for name, entry in entries.items()
    }


ITEMS = {
    "schmidgall2023": _items("schmidgall2023", "schmidgall2023", {
        "fig3": ("fig3", "Fig. 3: ALIF, Izhikevich and ReLU locomotion circuits on the swimmers (varying realism)",
                 ("task", "dask"), ("small", "medium", "paper")),
        "fig4": ("fig4", "Fig. 4: connectome against its statistics network and two MLPs (architectural statistics)",
                 ("dask",), ("small", "medium", "paper")),
        "fig5": ("fig5", "Fig. 5: the locomotion circuit against an MLP on HalfCheetah and MNIST (limits of priors)",
                 ("data", "task", "networks"), ("small", "medium", "paper")),
    }),
    "gorantla2019": _items("gorantla2019", "gorantla2019", {
        "table1": ("table1", "Table 1: NNE, NNE + SignSGD and SGD on MNIST 0-4 and 0-9", ("dask",),
                   ("small", "medium", "paper")),
        "table2": ("table2", "Table 2: DNN, SGD and SignSGD with h = 1,000 and 100,000 hidden units", (),
                   ("small", "medium", "paper")),
        "theorem2": ("theorem2", "Theorem 2: NNE aligns W.p with a random linear target (cosine against generations)",
                     (), ("small", "medium", "paper")),
        "genes": ("genes", "Appendix Fig. 1: NNE accuracy against the number of genes n", ("dask",),
                  ("small", "medium", "paper")),
        "alleles": ("alleles", "Appendix Fig. 2: fraction of allele frequencies near 0 or 1 against generations",
                    ("dask",), ("small", "medium", "paper")),
    }),
    "bertens2019": _items("bertens2019", "bertens2019", {
        "iaf": ("iaf", "Fig. 6: an ENU evolved to mimic an integrate-and-fire neuron", (),
                ("small", "medium", "paper")),
        "stdp": ("stdp", "Fig. 7: an ENU evolved to mimic neuromodulated (gated) STDP", (),
                 ("small", "medium", "paper")),
        "tmaze": ("tmaze", "Figs. 8-9: a network of ENUs learns food and poison in a T-maze", (),
                  ("small", "medium", "paper")),
    }),
    "bardozzo2023": _items("bardozzo2023", "bardozzo2023", {
        "fig2": ("fig2", "Fig. 2: ElegansNet against Watts-Strogatz, Erdos-Renyi and Barabasi-Albert graphs",
                 ("dataset", "data"), ("small", "medium", "paper")),
        "fig2pooled": ("fig2pooled", "Fig. 2 on 7x7 pooled images, where the graph holds 70 % of the parameters",
                       ("dataset", "data"), ("small", "medium", "paper")),
        "rewiring": ("rewiring", "Degree-preserving rewiring sweep: accuracy against fraction rewired",
                     ("dataset", "data"), ("small", "medium", "paper")),
        "table1": ("table1", "Table I: classification accuracy against the paper's claims", ("dataset", "data"),
                   ("small", "medium", "paper")),
        "table2": ("table2", "Table II: reconstruction against the paper's claims", ("dataset", "data"),
                   ("small", "medium", "paper")),
    }, options=("dataset", "data")),
    "beyond": _items("beyond", "beyond", {
        "vision": ("vision", "The fly's optic-lobe connectome and the larval mushroom body on MNIST against controls",
                   ("data",), ("small", "medium", "paper")),
    }),
}
"""``ITEMS[paper][item]`` → :class:`Item`."""

OPTIONS = {
    "dataset": "which dataset the item trains and tests on (bardozzo2023: mnist, fashion-mnist or cifar10)",
    "data": "folder of the dataset's files: MNIST IDX files or CIFAR-10 batches",
    "dask": "a Dask scheduler's address (or 'local') whose workers score NNE's genotypes, 100 per task "
            "(gorantla2019 at paper scale), or each ES epoch's and GA generation's population (schmidgall2023)",
    "task": "run one task only (schmidgall2023 fig3: neuroworm/Swimmer6-v0 or Swimmer-v5; fig5: HalfCheetah-v5 or "
            "mnist; default all), so that one command per task and seed stays under an hour",
    "networks": "comma-separated networks to run (schmidgall2023 fig5: connectome_alif, connectome_relu, mlp; "
                "default all)",
}
"""Help text of every item option; ``neuroworm reproduce`` offers ``--NAME`` for each option an item declares."""


def item_options():
    """``{option: (help, [paper item, ...])}`` over every registered item, in registry order.

    Raises
    ------
    KeyError
        When an item declares an option without help text in :data:`OPTIONS` (a registry bug).
    """
    found = {}
    for paper, items in ITEMS.items():
        for name, entry in items.items():
            for option in entry.options:
                found.setdefault(option, (OPTIONS[option], []))[1].append(f"{paper} {name}")
    return found

