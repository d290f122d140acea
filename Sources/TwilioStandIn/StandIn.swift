// A stand-in for Twilio on 127.0.0.1.
import NIOCore
