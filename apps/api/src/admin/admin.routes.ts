/** Where the queue dashboard is served. */
export const ADMIN_QUEUES_ROUTE = '/admin/queues';
