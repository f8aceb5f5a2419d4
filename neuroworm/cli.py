"""The ``neuroworm`` command line.

::

    neuroworm connectomes                 table of the bundled connectomes
    neuroworm connectome info NAME        statistics and citation of one connectome
    neuroworm demo [--out runs/demo]      the main job (``make demo``)
"""

import argparse
import sys
from pathlib import Path

from .errors import NeuroWormError

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


def command_demo(args):
    """Summarise the bundled connectomes and draw the C. elegans figures."""
    import matplotlib

    matplotlib.use("Agg")
    from . import plot
    from .connectome import list_connectomes, load_connectome, locomotion_circuit

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

    demo = commands.add_parser("demo", help="the main job: summary and figures (make demo)")
    demo.add_argument("--out", default="runs/demo", help="folder for figures (default: runs/demo)")
    demo.set_defaults(handler=command_demo)
    return parser


def main(argv=None):
    """Entry point of the ``neuroworm`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except NeuroWormError as error:
        print(f"neuroworm: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
