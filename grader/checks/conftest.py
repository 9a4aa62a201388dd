"""pytest wiring of the rubric: ``--submission PATH`` and the ``student`` fixture.

``pytest grader/checks --submission PATH`` grades a submission with pytest's own output;
``python -m grader grade PATH`` runs the same tests through :func:`grader.checks.plugin.run`
with a prepared sandbox.
"""

import pytest

from .. import submission
from ..golden import store as golden
from ..sandbox import Sandbox
from .plugin import NAME, Collector
from .routing import RoutedModules


def pytest_addoption(parser):
    parser.addoption("--submission", default=None,
                     help="folder or .zip to grade (the student files)")


def pytest_configure(config):
    config.addinivalue_line("markers", "check(id, points, visibility, function, name): a "
                            "free-form check and its points")
    if not any(isinstance(p, Collector) for p in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(Collector(), NAME)


def collector_of(config):
    for p in config.pluginmanager.get_plugins():
        if isinstance(p, Collector):
            return p
    raise RuntimeError("the grader's collector plugin is not registered")


@pytest.fixture(scope="session")
def collector(request):
    return collector_of(request.config)


@pytest.fixture(scope="session")
def student(collector, request):
    """The student's modules; every call runs in the sandbox worker."""
    if collector.student is not None:
        yield collector.student
        return
    path = request.config.getoption("--submission")
    if not path:
        pytest.exit("give the submission to grade: --submission PATH", returncode=2)
    sub = submission.load(path)
    with Sandbox(sub.files) as sb, Sandbox(sub.files, fast_layers=False) as naive:
        yield RoutedModules(sb, naive)


@pytest.fixture(scope="session")
def expected(collector):
    """Stored expected outputs by check id."""
    if collector.expected is None:
        collector.expected = golden.load()[0]
    return collector.expected
