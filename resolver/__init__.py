"""resolver: entity resolution and sanctions screening over gRPC."""

__version__ = "0.1.0"
