# syntax=docker/dockerfile:1
#
# mpsdconf in a container: one static binary; the rule catalog, JSON Schemas and fixtures are
# embedded in it (go:embed), so a run needs no other file.
#
#   docker build -t mpsdconf --build-arg VERSION=$(git describe --tags --always --dirty) .
#   docker run --rm -v "$PWD/reports:/reports" --user "$(id -u):$(id -g)" mpsdconf
#       full suite against the embedded emulator; reports in ./reports; exit code 0, 1 or 2
#   docker run --rm -v "$PWD/reports:/reports" --user "$(id -u):$(id -g)" mpsdconf \
#       run --target https://mpsd.example --config /reports/target.yaml --report-dir /reports
#   docker run --rm -p 8080:8080 -e MPSD_EMULATOR_TOKEN_KEY=s3cret mpsdconf emulate --listen 0.0.0.0:8080
#   docker build --target emulator -t mpsdconf-emulator .
#       an image whose default command is the emulator on :8080 (for CI services that cannot
#       pass a command, such as GitHub Actions); give it MPSD_EMULATOR_TOKEN_KEY
#   docker build --target test .       vet and the unit tests with the race detector
#
# Reports go to the /reports volume. The image runs as the distroless "nonroot" user
# (65532): a named volume is writable as is; for a bind mount, pass --user with the owner of
# the host directory, as above.
#
# No Docker engine was available where this file was written, so each stage was checked by
# running its commands directly on Debian 12 with Go 1.26:
#   build:    `go mod download`, then the exact `go build` line below with CGO_ENABLED=0 and
#             VERSION set; `file` says "statically linked", `ldd` "not a dynamic executable",
#             and `mpsdconf version` prints the VERSION given.
#   test:     `go vet ./...` and `go test -race -count=1 ./...` in the source tree.
#   runtime:  the binary alone, copied into an empty directory and run with an empty
#             environment (env -i) as uid 65532 from a directory it cannot write to:
#             `version`, and `run --report-dir <dir>` (the full suite against the embedded
#             emulator: every spec passed, all reports written, exit 0).
#   emulator: `emulate --listen 0.0.0.0:8080` with MPSD_EMULATOR_TOKEN_KEY set, and from a
#             second empty directory `run --target http://127.0.0.1:8080
#             --emulator-token-key <the same key>`: every spec passed, exit 0.

ARG GO_VERSION=1.26

# ---- build: the static binary ---------------------------------------------------------------
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so the download layer is reused until go.mod or go.sum changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The version `mpsdconf version` and every report print (.git is not copied into the
# context, so without VERSION the binary says "dev").
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X github.com/mpsdconf/mpsdconf/runner.version=${VERSION}" \
        -o /out/mpsdconf ./cmd/mpsdconf \
    && mkdir -p /out/reports

# ---- test (optional: docker build --target test .) ------------------------------------------
FROM build AS test
RUN go vet ./... && go test -race -count=1 ./...

# ---- emulator: the reference emulator as the default command --------------------------------
FROM gcr.io/distroless/static-debian12:nonroot AS emulator
ARG VERSION=dev
LABEL org.opencontainers.image.title="mpsdconf emulator" \
      org.opencontainers.image.description="In-memory reference emulator of the MPSD handles API" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/mpsdconf /mpsdconf
EXPOSE 8080
ENTRYPOINT ["/mpsdconf"]
# The token key comes from MPSD_EMULATOR_TOKEN_KEY (without it a random key is printed to
# stderr, and only a harness given that key can talk to the emulator).
CMD ["emulate", "--listen", "0.0.0.0:8080"]

# ---- runtime (default): the harness, with the emulator one command away ---------------------
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="mpsdconf" \
      org.opencontainers.image.description="Conformance harness for the Xbox Live MPSD handles API" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/mpsdconf /mpsdconf
COPY --from=build --chown=65532:65532 /out/reports /reports
VOLUME ["/reports"]
# For `emulate --listen 0.0.0.0:8080`.
EXPOSE 8080
ENTRYPOINT ["/mpsdconf"]
CMD ["run", "--report-dir", "/reports"]
