import Hummingbird
import VerityCore

extension NodeServer {
    /// `PUT`, `GET` and `HEAD /blobs/<64 hex digits>` and `POST /blobs` over `store`.
    ///
    /// PUT streams the body into the store (the JSON-RPC body limit does not apply; the store's
    /// own limit does): 201 when stored, 200 when it already was, 400 for a malformed id, 413 over
    /// the limit (at once when Content-Length says so), 422 when the bytes do not hash to the id.
    /// POST stores the body under the id the node computes, with the same limits and statuses
    /// (no 422: there is no id to miss), for an uploader that does not hash what it sends.
    /// Both reply `{"hash": hex, "size": n}`. GET streams the file back as
    /// `application/octet-stream`. Errors carry `{"error": "..."}`.
    static func addBlobRoutes<Context: RequestContext>(_ store: BlobStore, to router: Router<Context>) {
        router.post("/blobs") { request, _ -> Response in
            if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > store.maxBlobBytes {
                return blobErrorResponse(.tooLarge(limit: store.maxBlobBytes))
            }
            do throws(BlobError) {
                let (hash, stored) = try await store.put(chunks: request.body.map { $0.readableBytesView })
                let reply = JSONValue.object([("hash", .string(hash.hex)), ("size", .int(Int64(stored.size)))])
                return jsonResponse(stored.created ? .created : .ok, reply)
            } catch {
                return blobErrorResponse(error)
            }
        }
        router.put("/blobs/:id") { request, context -> Response in
            let hash: Hash
            do throws(BlobError) { hash = try BlobStore.id(context.parameters.get("id") ?? "") } catch { return blobErrorResponse(error) }
            if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > store.maxBlobBytes {
                return blobErrorResponse(.tooLarge(limit: store.maxBlobBytes))
            }
            do throws(BlobError) {
                let stored = try await store.put(expected: hash, chunks: request.body.map { $0.readableBytesView })
                let reply = JSONValue.object([("hash", .string(hash.hex)), ("size", .int(Int64(stored.size)))])
                return jsonResponse(stored.created ? .created : .ok, reply)
            } catch {
                return blobErrorResponse(error)
            }
        }
        router.get("/blobs/:id") { _, context -> Response in
            let hash: Hash
            do throws(BlobError) { hash = try BlobStore.id(context.parameters.get("id") ?? "") } catch { return blobErrorResponse(error) }
            guard store.contains(hash) else { return blobErrorResponse(.notFound(hash)) }
            let body = try await FileIO().loadFile(path: store.path(of: hash), context: context)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: body)
        }
        router.head("/blobs/:id") { _, context -> Response in
            guard let hash = try? BlobStore.id(context.parameters.get("id") ?? "") else { return Response(status: .badRequest) }
            guard let size = store.size(of: hash) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(size)])
        }
    }

    static func blobErrorResponse(_ error: BlobError) -> Response {
        let status: HTTPResponse.Status = switch error {
        case .malformedID, .interrupted: .badRequest
        case .tooLarge: .contentTooLarge
        case .hashMismatch: .unprocessableContent
        case .notFound: .notFound
        case .io: .internalServerError
        }
        return jsonResponse(status, .object([("error", .string(error.description))]))
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }
}
