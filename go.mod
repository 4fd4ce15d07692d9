module poolkit

go 1.26
