/// A small seedable pseudo-random generator: xoshiro256** seeded through SplitMix64.
///
/// Every method is defined here, not by the standard library's generic algorithms, so the same
/// seed gives the same numbers on every platform and Swift version, and a fuzz case can be
/// replayed from its seed, its comparison and its index alone.
package struct FuzzRandom: RandomNumberGenerator, Hashable, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the four state words from SplitMix64, which never yields an all-zero state.
    package init(seed: UInt64) {
        var seeds = SplitMix64(seed: seed)
        s0 = seeds.next()
        s1 = seeds.next()
        s2 = seeds.next()
        s3 = seeds.next()
    }

    /// A generator for case `index` of stream `stream` (one stream per comparison), independent
    /// of the generators of every other case.
    package init(seed: UInt64, stream: UInt64, index: UInt64) {
        self.init(
            seed: SplitMix64.mix(
                seed ^ SplitMix64.mix(stream &+ 0x5bd1_e995) ^ SplitMix64.mix(index ^ 0xa076_1d64_78bd_642f)))
    }

    package mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A 32-bit value.
    package mutating func word() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 32) }

    /// A value in `0 ..< bound` (multiply-shift; the bias is below 2^-32 for our bounds).
    package mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "empty range")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A value in `range`.
    package mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `numerator / denominator`.
    package mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        below(denominator) < numerator
    }

    /// One element of a non-empty array.
    package mutating func element<T>(of array: [T]) -> T {
        array[below(array.count)]
    }

    /// One value, chosen with the given integer weights.
    package mutating func weighted<T>(_ choices: [(weight: Int, value: T)]) -> T {
        let total = choices.reduce(0) { $0 + $1.weight }
        var pick = below(total)
        for choice in choices {
            if pick < choice.weight { return choice.value }
            pick -= choice.weight
        }
        return choices[choices.count - 1].value
    }

    /// `count` random bytes.
    package mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            var value = next()
            for _ in 0 ..< min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: value))
                value >>= 8
            }
        }
        return out
    }
}
