import NIOCore

/// Closes a WebSocket connection whose client sends a frame without a mask, as RFC 6455 §5.1
/// requires of a server, with close code 1002 (protocol error).
///
/// It reads the raw bytes ahead of the frame decoder and passes them on unchanged, following
/// frame boundaries from each header (2 bytes, then 2 or 8 of extended length, then the 4-byte
/// mask) and skipping payloads, so its cost is a few operations per frame.
final class MaskedFrameCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The header read so far (at most 14 bytes).
    private var header: [UInt8] = []
    /// Payload bytes of the current frame still to pass.
    private var payloadLeft: UInt64 = 0
    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        var index = buffer.readerIndex
        let end = buffer.writerIndex
        while index < end {
            if payloadLeft > 0 {
                let step = Int(min(payloadLeft, UInt64(end - index)))
                index += step
                payloadLeft -= UInt64(step)
                continue
            }
            header.append(buffer.getInteger(at: index, as: UInt8.self) ?? 0)
            index += 1
            guard let frame = Self.parse(header) else { continue }
            header.removeAll(keepingCapacity: true)
            guard frame.masked else {
                fail(context)
                return
            }
            payloadLeft = frame.payload
        }
        context.fireChannelRead(data)
    }

    /// The frame a complete header describes, or nil while more header bytes are needed.
    static func parse(_ header: [UInt8]) -> (masked: Bool, payload: UInt64)? {
        guard header.count >= 2 else { return nil }
        let masked = header[1] & 0x80 != 0
        let short = UInt64(header[1] & 0x7F)
        let extended = short == 126 ? 2 : short == 127 ? 8 : 0
        guard header.count == 2 + extended + (masked ? 4 : 0) else { return nil }
        var payload = short
        if extended > 0 {
            payload = 0
            for byte in header[2..<(2 + extended)] { payload = payload << 8 | UInt64(byte) }
        }
        return (masked, payload)
    }

    private func fail(_ context: ChannelHandlerContext) {
        failed = true
        let reason = Array("client frames must be masked".utf8)
        var frame = context.channel.allocator.buffer(capacity: 4 + reason.count)
        frame.writeBytes([0x88, UInt8(2 + reason.count), 0x03, 0xEA] + reason)
        let loopContext = context.loopBound
        context.writeAndFlush(NIOAny(frame)).whenComplete { _ in loopContext.value.close(promise: nil) }
    }
}
