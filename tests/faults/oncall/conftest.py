"""The unreachable on-call part runs in the full form only (FAULTS_SCALE=full or issue, i.e.
`make test-faults`): in the quick form that `make test` runs it is not even collected. Its table
is printed after the suite's own and written next to it."""

from __future__ import annotations

import pytest

from tests.faults.oncall.report import plain, summary, write
from tests.faults.oncall.run import Result
from tests.faults.scenarios import scale

collect_ignore = ["test_oncall.py"] if scale() == "quick" else []

_results: list[Result] = []


@pytest.fixture(scope="session")
def oncall_report() -> list[Result]:
    return _results


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    for result in _results:
        path = write(result, scale())
        terminalreporter.section(f"unreachable on-call ({scale()})")
        terminalreporter.write_line(summary(result))
        for line in plain(result):
            terminalreporter.write_line(line)
        for note in result.notes:
            terminalreporter.write_line(f"oncall: {note}")
        terminalreporter.write_line(f"report: {path} (and faults-oncall-report.json beside it)")
