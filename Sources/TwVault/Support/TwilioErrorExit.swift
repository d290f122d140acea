import TwilioAuth

extension TwilioError {
    /// The exit status of DESIGN §2 for this failure.
    var exitStatus: Int32 {
        switch self {
        case .refused: 69
        case .temporary: 75
        case .malformedResponse: 76
        case .invalidURL: 64
        }
    }
}
