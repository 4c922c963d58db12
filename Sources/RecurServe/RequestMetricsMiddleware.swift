import Foundation
import Hummingbird

/// Counts every request by route, method and status, and times it (into `ServeMetrics`). Routes are the
/// registered patterns (`/v1/models/{name}`), so a client cannot grow the label set.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let path = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.request(path: path, method: request.method.rawValue, status: response.status.code,
                            nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(path: path, method: request.method.rawValue, status: status,
                            nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            throw error
        }
    }
}
