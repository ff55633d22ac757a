"""Migration-test helpers: the project state with one app rolled back to an older migration."""

from django.db.migrations.executor import MigrationExecutor


def nodes_with(executor: MigrationExecutor, target: tuple[str, str]) -> list[tuple[str, str]]:
    """``target`` plus the newest migration of every other app that can sit beside it: an app whose
    newest migration needs ``target``'s app past ``target`` (say followups, made after credits
    0018, beside credits 0006) is left out of the state, as ``executor.migrate([target])`` unapplied it."""
    graph = executor.loader.graph
    allowed = set(graph.forwards_plan(target))
    nodes = [target]
    for leaf in graph.leaf_nodes():
        if leaf[0] == target[0]:
            continue
        needs = [n for n in graph.forwards_plan(leaf) if n[0] == target[0]]
        if all(n in allowed for n in needs):
            nodes.append(leaf)
    return nodes
