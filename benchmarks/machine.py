"""The machine a benchmark ran on, and memory readings from /proc (Linux only)."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def revision() -> str:
    """The commit measured, and whether the working tree had local changes (read-only git)."""
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line for line in _git("status", "--porcelain").splitlines() if line]
    return f"{commit} + {len(changed)} changed/new files" if changed else commit


def machine() -> dict[str, Any]:
    """Cores, RAM, CPU model, Python version, date, revision and the current load average."""
    return {
        "revision": revision(),
        "nproc": os.cpu_count(),
        "ram_gib": round(_ram_gib(), 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def status_kib(pid: int | str, field: str) -> int:
    """A `Vm*` field (VmRSS, VmHWM) of /proc/<pid>/status in KiB; 0 if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def rss_mib(pid: int | str = "self") -> float:
    """Resident set size now, in MiB."""
    return status_kib(pid, "VmRSS") / 1024


def peak_mib(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) since start or the last `reset_peak`, in MiB."""
    return status_kib(pid, "VmHWM") / 1024


def reset_peak(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False if not permitted."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True
