"""Numbers in report.md: each helper gives "-" for a figure that was not measured (None)."""


def fx(x, nd=2) -> str:
    """`x` with `nd` decimals."""
    return "-" if x is None else f"{x:.{nd}f}"


def us(ns) -> str:
    """A time in nanoseconds, shown in whole microseconds."""
    return "-" if ns is None else f"{ns / 1000:.0f} us"


def usec(x) -> str:
    """A time already in microseconds, shown whole."""
    return "-" if x is None else f"{x:.0f} us"


def percent(x) -> str:
    """A share already in percent, shown whole."""
    return "-" if x is None else f"{x:.0f} %"
