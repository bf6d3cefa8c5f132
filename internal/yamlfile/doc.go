// Package yamlfile reads one YAML file, bounded and strictly, into a Go
// struct, and reports every problem in it at its file:line:col with the
// fix. Package scenario reads scenario and target files with it.
//
// Decode measures the file before parsing it (size, nesting, number of
// values, aliases: see MaxFileBytes), because the parser's time and memory
// grow much faster than its input on hostile text and it cannot be
// interrupted. It then substitutes ${NAME} from the environment, checks
// the tree against the struct's type — unknown fields with a did-you-mean,
// duplicate keys, lists where mappings belong, values that do not parse —
// and decodes only a tree that passed.
//
// Problems collects what the caller finds wrong afterwards, each at the
// field path it names ("http.endpoints[0].weight", built with Child and
// Index), placed at that field or its closest ancestor in the file; Err
// returns them all at once, in file order, each wrapping ErrInvalid. File
// keeps the parsed file, so that problems found later, by other packages,
// can name a line too (File.Where).
//
// It is separate from package scenario because it knows nothing of what
// the fields mean: it is the file machinery, the same for every kind of
// file, and scenario is the meaning. Its own messages name scenario and
// target files, the files loadcheck reads this way.
package yamlfile
