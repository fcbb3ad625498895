//go:build race

package audience

// The race detector makes the random-tree comparisons with the oracle
// about ten times slower; under it they try fewer trees (CI runs with it,
// `go test ./...` without).
const raceDetector = true
