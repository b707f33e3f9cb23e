import VerityCore

/// One message a node sends on a WebSocket connection with `verityJobSubscribe` subscriptions:
/// the answer to a request, or a job's change.
public enum JobSubscriptionMessage: Sendable {
    /// The answer to the request with `id`: the subscription's id, or the node's error.
    case answer(id: Int64, Result<Int, ClientError>)
    /// A subscribed job changed in the block of `slot`.
    case notification(subscription: Int, slot: UInt64, job: JobView)

    /// Reads a message's text; nil for anything else (other notifications, malformed text, a
    /// job object that does not decode).
    public init?(text: String) {
        guard let message = try? JSONValue.parse(text) else { return nil }
        self.init(message: message)
    }

    /// Reads a parsed message.
    public init?(message: JSONValue) {
        if let id = message["id"].flatMap(RPCClient.integer) {
            if let error = RPCResponseError(json: message["error"]) {
                self = .answer(id: id, .failure(.rpc(error)))
            } else if let subscription = message["result"].flatMap(RPCClient.integer), let value = Int(exactly: subscription) {
                self = .answer(id: id, .success(value))
            } else {
                self = .answer(id: id, .failure(.malformedReply("no subscription id in the answer to request \(id)")))
            }
            return
        }
        guard message["method"]?.stringValue == "verityJobNotification", let params = message["params"],
            let subscription = params["subscription"].flatMap(RPCClient.integer).flatMap({ Int(exactly: $0) }),
            let result = params["result"], let value = result["value"],
            let job = try? value.decode(JobView.self, "verityJobNotification")
        else { return nil }
        let slot = result["context"]?["slot"]?.unsignedValue ?? 0
        self = .notification(subscription: subscription, slot: slot, job: job)
    }
}
