import Hummingbird

/// The API and pages are read-only: any method but GET and HEAD is 405 with `Allow: GET, HEAD`,
/// whether or not the path exists (a TRACE or a POST learns nothing either way).
struct ReadOnlyMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            var error = HTTPError(.methodNotAllowed, message: "\(request.method.rawValue): this server is read-only (GET and HEAD only)")
            error.headers[.allow] = "GET, HEAD"
            throw error
        }
        return try await next(request, context)
    }
}
