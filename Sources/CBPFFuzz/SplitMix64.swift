/// SplitMix64: a small seedable generator, the same on every run and platform. It seeds
/// ``FuzzRandom`` and makes the inputs of tests and benchmarks that need only a stream of words.
package struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    /// The state, advanced by a fixed odd constant on every call.
    package var state: UInt64

    /// A generator whose first state is `seed`.
    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return Self.mix(state)
    }

    /// The SplitMix64 finalizer: a bijection that spreads every input bit over the output.
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
