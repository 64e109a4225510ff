// The file versions of the demo repository's later commits, one directory
// per commit (see ../make-repo.sh); not a package. This go.mod keeps them
// out of the module example.com/cihelpers.
module example.com/cihelpers/steps

go 1.19
