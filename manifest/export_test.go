package manifest

// SealRootWithNonce is SealRoot with a fixed nonce, for test vectors.
var SealRootWithNonce = sealRoot
