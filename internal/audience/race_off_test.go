//go:build !race

package audience

const raceDetector = false
