package cihelpers

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"io/fs"
	"sync"
)

// hasher is what HashFile needs per file: the digest and the 32 KiB
// buffer it copies through. They are pooled together, so hashing a tree
// of inputs reuses both.
type hasher struct {
	digest hash.Hash
	buf    []byte
}

var hashers = sync.Pool{New: func() any { return newHasher() }}

func newHasher() *hasher {
	return &hasher{digest: sha256.New(), buf: make([]byte, 32*1024)}
}

// HashFile returns the hex SHA-256 of the contents of file name in fsys
// (os.DirFS of the work tree in a build): the cache key of a build input.
func HashFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := hashers.Get().(*hasher)
	h.digest.Reset()
	if _, err := io.CopyBuffer(h.digest, f, h.buf); err != nil {
		hashers.Put(h)
		return "", err
	}
	return hex.EncodeToString(h.digest.Sum(nil)), nil
}
