/// The market's fee arithmetic, in 128 bits so that no price or token count can overflow it.
extension Market {
    /// ⌈price × tokens / 1000⌉: what `tokens` cost at `pricePer1kTokens`, or nil when it does not
    /// fit in 64 bits.
    public static func fee(pricePer1kTokens price: UInt64, tokens: UInt32) -> UInt64? {
        let exact = (UInt128(price) * UInt128(tokens) + 999) / 1000
        return exact <= UInt128(UInt64.max) ? UInt64(exact) : nil
    }

    /// The protocol's part of `fee` at `bps` basis points, never more than the fee itself.
    public static func protocolShare(of fee: UInt64, bps: UInt16) -> UInt64 {
        UInt64(min(UInt128(fee), UInt128(fee) * UInt128(bps) / 10_000))
    }
}
