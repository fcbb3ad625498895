//go:build race

package bench

// The race detector slows the server about tenfold; runs that must see
// orders run longer under it.
const raceDetector = true
