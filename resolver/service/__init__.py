"""The gRPC service: server, handlers, authentication, audit."""
