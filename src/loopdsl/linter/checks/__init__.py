"""The built-in check functions, grouped by what they check; importing this
package registers them all (``linter.registry`` does)."""

from loopdsl.linter.checks import attributes, cycles, flows, names, reach, risks

__all__ = ["attributes", "cycles", "flows", "names", "reach", "risks"]
