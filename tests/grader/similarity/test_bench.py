"""The benchmark's corpus is valid Python and its copies are found (a small class)."""

import ast

import numpy as np

from grader.similarity import bench
from grader.similarity import bench_corpus as bc
from grader.similarity.config import Config


def test_generated_students_and_disguised_copies_are_valid_python():
    rng = np.random.default_rng(11)
    for i in range(15):
        st = bc.independent(f"s{i}", rng, buggy=0.5)
        copy = bc.disguised_copy(f"c{i}", st, rng, n_disguises=len(bc.DISGUISES))
        for who in (st, copy):
            for module, text in bc.render(who).items():
                ast.parse(text, filename=f"{who.name}/{module}.py")


def test_small_class_whole_copies_flagged_no_independent_pair_flagged():
    rng = np.random.default_rng(0)
    students, kinds = bench.make_class(60, rng)
    config = Config()
    r = bench.evaluate(bench.ours(students, config), students, kinds, config.threshold)
    assert r["false_flags"] == 0
    for kind in ("full", "reference", "chain"):
        found, total = r["recall"].get(kind, (0, 0))
        assert found == total, (kind, r["recall"])
