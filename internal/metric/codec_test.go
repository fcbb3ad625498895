package metric

import (
	"reflect"
	"testing"
)

// Purchase lists and day pairs read back as written, and a cut-off blob is
// an error, never a shorter list.
func TestRetentionCodecs_RoundTripAndDamage(t *testing.T) {
	bs := []buy{{20250101, 12900, 12900}, {20250101, -500, 0}, {20251231, 0, 99}, {20260301, 1 << 40, 1 << 41}}
	blob := encodeBuys(bs)
	got, err := decodeBuys(blob)
	if err != nil || !reflect.DeepEqual(got, bs) {
		t.Fatalf("buys %v, %v; want %v", got, err, bs)
	}
	pairs := map[int64]int64{20260101: 3, 20260102: -1, 20261120: 70000, 20260103: 0}
	pb := encodePairs(pairs)
	ps, err := decodePairs(pb)
	want := dayPairs{{20260101, 3}, {20260102, -1}, {20261120, 70000}}
	if err != nil || !reflect.DeepEqual(ps, want) {
		t.Fatalf("pairs %v, %v; want %v", ps, err, want)
	}
	if n := ps.sum(20260102, 20261120); n != -1 {
		t.Errorf("sum over [0102, 1120) = %d, want -1", n)
	}
	for _, cut := range []int{1, len(blob) - 1} {
		if _, err := decodeBuys(blob[:cut]); err == nil {
			t.Errorf("a purchase list cut to %d of %d bytes read", cut, len(blob))
		}
	}
	if _, err := decodePairs(pb[:len(pb)-1]); err == nil {
		t.Error("day pairs cut short read")
	}
}
