import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '#db';
import { Authenticated, CurrentUser } from '../auth/auth.guard.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { ApiErrorResponses } from '../common/responses.js';
import { CsvExportService } from './csv-export.service.js';
import { CsvImportService } from './csv-import.service.js';
import { CsvUploadResponse, ExportQuery, UploadResponse } from './device-data.dto.js';
import { ReadingsUploadService } from './readings-upload.service.js';

/** Readings in (JSON, the SD card's CSV) and out (CSV) over HTTP. */
@ApiTags('readings')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/devices')
export class DeviceDataController {
  constructor(
    private readonly upload: ReadingsUploadService,
    private readonly csvImport: CsvImportService,
    private readonly csvExport: CsvExportService,
  ) {}

  @Post(':id/readings')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Stores {"data":[{"recorded_at","sensors":[{"id","value"}]}]} (owner or admin)' })
  @ApiOkResponse({ type: UploadResponse })
  post(@Param('id', RecordIdPipe) id: number, @Body() body: unknown, @CurrentUser() viewer: ApiUser) {
    return this.upload.post(id, body, viewer);
  }

  @Post(':id/readings/csv')
  @HttpCode(200)
  @Authenticated()
  @ApiConsumes('text/csv')
  @ApiOperation({
    summary: "Stores the kit's SD-card CSV, streamed (owner or admin); a second upload stores nothing",
  })
  @ApiOkResponse({ type: CsvUploadResponse })
  importCsv(@Param('id', RecordIdPipe) id: number, @Req() request: Request, @CurrentUser() viewer: ApiUser) {
    return this.csvImport.import(id, request, viewer);
  }

  @Get(':id/readings.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Every reading of [from, to) as CSV, one column per sensor, streamed' })
  async exportCsv(
    @Param('id', RecordIdPipe) id: number,
    @Query() query: ExportQuery,
    @CurrentUser() viewer: ApiUser | null,
    @Res() response: Response,
  ) {
    const plan = await this.csvExport.prepare(id, query, viewer);
    response
      .status(200)
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="device-${id}-readings.csv"`);
    await this.csvExport.write(plan, response);
    response.end();
  }

  @Get(':id/readings/csv_archive')
  @ApiOperation({ summary: 'Where to download the CSV of every reading (the reference mails a link)' })
  csvArchive(@Param('id', RecordIdPipe) id: number, @CurrentUser() viewer: ApiUser | null) {
    return this.csvExport.archiveLink(id, viewer);
  }
}
