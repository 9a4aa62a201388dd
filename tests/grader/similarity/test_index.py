"""Handed-out code and code most of the class shares count for nothing."""

import numpy as np

from grader.similarity import documents
from grader.similarity.analysis import analyse
from grader.similarity.config import Config
from grader.similarity.fingerprints import winnow
from grader.similarity.index import build, given_hashes

CONFIG = Config()


def skeleton_texts():
    return {m: (documents.SKELETON / f"{m}.py").read_text() for m in documents.STUDENT_MODULES}


def test_winnowing_keeps_a_fingerprint_of_every_long_enough_shared_run():
    rng = np.random.default_rng(0)
    vocab = [f"t{i}" for i in range(50)]
    run = list(rng.choice(vocab, CONFIG.k + CONFIG.w - 1))
    a = list(rng.choice(vocab, 40)) + run + list(rng.choice(vocab, 30))
    b = list(rng.choice(vocab, 25)) + run
    fa, fb = winnow(a, CONFIG.k, CONFIG.w), winnow(b, CONFIG.k, CONFIG.w)
    assert set(fa.hashes.tolist()) & set(fb.hashes.tolist())


def test_the_handout_itself_has_no_fingerprint_left():
    given = given_hashes(documents.given_code(), CONFIG)
    docs = [documents.from_texts(f"s{i}", skeleton_texts()) for i in range(3)]
    index = build(docs, given, CONFIG)
    assert index.doc_sizes().tolist() == [0, 0, 0]
    assert index.ignored_given > 0


def test_skeleton_copies_are_not_similar_but_the_reference_is_found():
    subs = [documents.from_texts(f"s{i}", skeleton_texts()) for i in range(2)]
    ref = documents.reference()
    subs.append(documents.from_texts("cheat", ref.files))
    a = analyse(subs, config=CONFIG)
    names = {(a.name(p.a), a.name(p.b)): p.score for p in a.pairs}
    assert ("s0", "s1") not in names  # shared skeleton only: not even compared as similar
    assert names[("cheat", documents.REFERENCE_NAME)] == 1.0


def _with_function(body_name, extra):
    files = skeleton_texts()
    files["optim"] = files["optim"] + extra
    return documents.from_texts(body_name, files)


COMMON = '''
def helper_everyone_writes(x, y, stride):
    out = []
    for i in range(len(x)):
        for j in range(len(y)):
            out.append(x[i * stride] * y[j] + x[j] - y[i] * 2.5)
    return out
'''
RARE = '''
def rarely_seen(a, b):
    acc = {}
    while a:
        key = a.pop() % 7
        acc[key] = acc.get(key, 0) + b ** 3 - key // 2
        b = b * 0.5 + 1
    return sorted(acc.items(), reverse=True)[:3]
'''


def test_code_most_of_the_class_shares_counts_for_nothing():
    cfg = Config(common_min_files=2, common_share=0.5)
    docs = [_with_function(f"s{i}", COMMON) for i in range(6)]
    docs += [_with_function("r1", COMMON + RARE), _with_function("r2", COMMON + RARE)]
    a = analyse(docs, reference=False, config=cfg)
    assert a.index.ignored_common > 0
    scores = {(a.name(p.a), a.name(p.b)): p.score for p in a.pairs}
    assert scores.get(("r1", "r2")) == 1.0  # what only these two share
    assert not any(k[0].startswith("s") and k[1].startswith("s") for k in scores)


def own(i):
    """A function only student i wrote (its constants are its own)."""
    return (f"\n\ndef mine_{i}(v):\n    t = v * {i + 11} - {i + 3}.5\n"
            f"    return [t % {i + 5}, t // {i + 7}, -t, t ** {i + 2}, {i} + t]\n")


def test_a_shared_fingerprint_weighs_less_the_more_documents_hold_it():
    cfg = Config(common_min_files=100)
    docs = [_with_function(f"s{i}", COMMON + own(i)) for i in range(5)]
    docs += [_with_function("r1", RARE + own(10)), _with_function("r2", RARE + own(11))]
    a = analyse(docs, reference=False, config=cfg)
    scores = {(a.name(p.a), a.name(p.b)): p.score for p in a.pairs}
    # the same amount of shared code, held by two documents or by five
    assert scores[("r1", "r2")] > 1.5 * scores[("s0", "s1")] > 0
