module github.com/pollstack/pollstack

go 1.26
