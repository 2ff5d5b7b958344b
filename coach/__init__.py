"""Coach (绩效教练): AI assistance for continuous performance management."""

__version__ = "0.1.0"
