package scrub

// The local password every scrubbed account gets, so a developer can still log in
// (as any user, with that user's name or the fake e-mail address).
const LocalPassword = "synco"

// Hashes of LocalPassword, pinned by tests that verify them.
const (
	// phpassHash is WordPress's own portable phpass format ($P$, 2^13 rounds of
	// MD5), which every WordPress version checks (6.8+ as a legacy hash).
	phpassHash = "$P$BsyncosyngUSCUMmxejGRpzMLPyocG/"
	// bcryptHash is PHP's password_hash() format, checked by password_verify():
	// Laravel, Symfony ("auto" and "bcrypt" hashers), Drupal 10.1+, TYPO3 9+.
	bcryptHash = "$2y$10$UIU/rrhDd5SsZpJr7LZ9Fuus6MMjqdspHiyuzhe664BokvhOea5.q"
	// flowHash is Neos/Flow's credentialsSource for its BCrypt strategy.
	flowHash = "bcrypt=>$2a$10$UIU/rrhDd5SsZpJr7LZ9Fuus6MMjqdspHiyuzhe664BokvhOea5.q"
)

// PasswordHash is what the password rule writes for a framework (a name of
// frameworks.Project.Framework; "" or an unknown one gives the bcrypt hash): a
// valid hash of LocalPassword in the framework's format.
//
//	wordpress                      $P$… (phpass)
//	neos, flow, neos/flow          bcrypt=>$2a$10$… (Flow's BCryptHashingStrategy)
//	laravel, symfony, drupal,
//	typo3, generic, ""             $2y$10$… (bcrypt, PHP's password_verify)
//
// Drupal before 10.1 checks only its own $S$ hashes: reset a password there with
// drush user:password.
func PasswordHash(framework string) string {
	switch framework {
	case "wordpress":
		return phpassHash
	case "neos", "flow", "neos/flow":
		return flowHash
	}
	return bcryptHash
}
