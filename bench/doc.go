// Package bench compares the cors module with its peers, rs/cors and
// go-chi/cors, on the same requests in one `go test -bench` run. It is a
// separate Go module so that users of the module never download the peers.
package bench
