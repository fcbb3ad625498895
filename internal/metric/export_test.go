package metric

// SplitForTest exposes split to the external tests.
var SplitForTest = split
