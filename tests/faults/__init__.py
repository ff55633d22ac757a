"""Fault tests: real parts, one injected fault each; a clear message and nothing lost or half written."""
