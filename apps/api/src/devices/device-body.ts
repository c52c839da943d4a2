import type { PostprocessingFields } from '#db';
import type { UpdateDeviceBody } from './devices.dto.js';

/** `postprocessing_attributes` of a device body as repository fields (null removes them). */
export function postprocessingOf(
  body: UpdateDeviceBody['postprocessing_attributes'],
): PostprocessingFields | null | undefined {
  if (body === undefined || body === null) return body;
  return {
    blueprintUrl: body.blueprint_url,
    hardwareUrl: body.hardware_url,
    forwardingParams: body.forwarding_params,
    meta: body.meta,
    latestPostprocessing:
      body.latest_postprocessing === undefined || body.latest_postprocessing === null
        ? body.latest_postprocessing
        : new Date(body.latest_postprocessing),
  };
}

/** The tags of `q[tags_name_in]` and `q[tags_name_in][]` together; undefined when none. */
export function mergeTags(...lists: (string[] | undefined)[]): string[] | undefined {
  const tags = lists.flatMap((l) => l ?? []);
  return tags.length > 0 ? [...new Set(tags)] : undefined;
}
