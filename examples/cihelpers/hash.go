package cihelpers

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"sync"
)

// copyBufs holds the 32 KiB buffers HashFile copies through, so hashing
// many files does not allocate one per file.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 32*1024)
	return &b
}}

// HashFile returns the hex SHA-256 of the contents of file name in fsys
// (os.DirFS of the work tree in a build): the cache key of a build input.
func HashFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	if _, err := io.CopyBuffer(h, f, *buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
