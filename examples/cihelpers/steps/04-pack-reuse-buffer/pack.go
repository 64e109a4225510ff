package cihelpers

import (
	"archive/tar"
	"io"
	"io/fs"
)

// PackTar writes the named files of fsys as a tar stream (a build
// context): regular files only, with their size and mode.
func PackTar(w io.Writer, fsys fs.FS, names []string) error {
	tw := tar.NewWriter(w)
	// One copy buffer for the whole context, not one per file.
	buf := make([]byte, 32*1024)
	for _, name := range names {
		if err := packFile(tw, fsys, name, buf); err != nil {
			return err
		}
	}
	return tw.Close()
}

func packFile(tw *tar.Writer, fsys fs.FS, name string, buf []byte) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: int64(st.Mode().Perm()),
		Size: st.Size(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.CopyBuffer(tw, f, buf)
	return err
}
