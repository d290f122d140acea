// The HTTP transport, token endpoint and REST clients live here.
import NIOCore
