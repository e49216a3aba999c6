"""DSPy Suite's Python worker: runs real DSPy programs behind the gRPC contract in ../protos."""

__version__ = "0.1.0"
