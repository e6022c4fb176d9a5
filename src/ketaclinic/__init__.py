"""KetaClinic: the open-source system that runs a ketamine therapy clinic."""

__version__ = "0.1.0"
