package auth

// UseCheapHashesForTests makes new password hashes cheap for the rest of
// the process. Only tests call it: the race detector makes a 64 MiB argon2id
// hash take seconds, and suites that create operators in other packages
// would spend most of their time hashing. Production never calls it, so the
// slow default stands there.
func UseCheapHashesForTests() {
	hashParams = HashParams{Memory: 64, Time: 1, Threads: 1}
}
