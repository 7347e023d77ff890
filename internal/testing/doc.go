// Package testing is the room for what never ships: test support (throwaway
// PostgreSQL and moto servers, server processes, figures) and the load
// generator that tests and cmd/bench share. checks/imports_test.go fails
// when a shipped command (the server, doctor) imports anything below here.
package testing
