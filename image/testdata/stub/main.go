// Command stub stands in for cmd/pollstack until the server exists: it
// accepts `serve --addr --database-url` and answers /healthz.
package main

import (
	"flag"
	"net/http"
	"os"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "")
	fs.String("database-url", "", "")
	_ = fs.Parse(args)
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	if err := http.ListenAndServe(*addr, nil); err != nil {
		os.Exit(1)
	}
}
