// LSD radix sort of doubles (as order-preserving UInt64 keys) carrying a UInt32 payload (the bar
// index). Used by Spearman ranks and by the rolling order statistics for large windows; a stable
// 6-pass sort with 11-bit digits beats a comparison sort several times over at 1M values.

enum RadixSort {
    /// Order-preserving key for a non-NaN double: flips the sign bit of positives and all bits of
    /// negatives, so unsigned order equals numeric order. -0.0 is mapped to +0.0 first so equal
    /// values always have equal keys.
    @inline(__always)
    static func key(_ v: Double) -> UInt64 {
        let bits = (v + 0.0).bitPattern
        let mask = UInt64(bitPattern: Int64(bitPattern: bits) >> 63) | 0x8000_0000_0000_0000
        return bits ^ mask
    }

    /// Inverse of `key`.
    @inline(__always)
    static func value(_ key: UInt64) -> Double {
        let mask = (key >> 63) == 1 ? 0x8000_0000_0000_0000 : UInt64.max
        return Double(bitPattern: key ^ mask)
    }

    /// Sorts `keys[0..<count]` ascending and permutes `payload` alongside; stable. `scratchKeys`
    /// and `scratchPayload` must hold `count` elements. The result ends up in `keys`/`payload`.
    static func sort(keys: UnsafeMutableBufferPointer<UInt64>, payload: UnsafeMutableBufferPointer<UInt32>,
                     scratchKeys: UnsafeMutableBufferPointer<UInt64>,
                     scratchPayload: UnsafeMutableBufferPointer<UInt32>, count: Int) {
        guard count > 1 else { return }
        let bits = 11, radix = 1 << bits, passes = 6          // 6 × 11 = 66 >= 64
        let histogram = UnsafeMutableBufferPointer<Int>.allocate(capacity: radix * passes)
        defer { histogram.deallocate() }
        histogram.update(repeating: 0)
        for i in 0..<count {
            var k = keys[i]
            for p in 0..<passes {
                histogram[p * radix + Int(k & UInt64(radix - 1))] += 1
                k >>= UInt64(bits)
            }
        }
        var sourceKeys = keys, sourcePayload = payload
        var targetKeys = scratchKeys, targetPayload = scratchPayload
        for p in 0..<passes {
            let base = p * radix
            // A digit shared by every key (common for the high bits of prices) needs no pass.
            let firstDigit = Int((sourceKeys[0] >> UInt64(p * bits)) & UInt64(radix - 1))
            if histogram[base + firstDigit] == count { continue }
            var offset = 0
            for d in 0..<radix {
                let c = histogram[base + d]
                histogram[base + d] = offset
                offset += c
            }
            let shift = UInt64(p * bits)
            for i in 0..<count {
                let k = sourceKeys[i]
                let d = base + Int((k >> shift) & UInt64(radix - 1))
                let slot = histogram[d]
                histogram[d] = slot + 1
                targetKeys[slot] = k
                targetPayload[slot] = sourcePayload[i]
            }
            swap(&sourceKeys, &targetKeys)
            swap(&sourcePayload, &targetPayload)
        }
        if sourceKeys.baseAddress != keys.baseAddress {
            for i in 0..<count {
                keys[i] = sourceKeys[i]
                payload[i] = sourcePayload[i]
            }
        }
    }
}
