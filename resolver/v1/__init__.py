"""Generated gRPC stubs for the resolver.v1 API (from protos/resolver/v1); do not edit by hand."""
