import type { ReportFormat } from '../report-format.ts';
import { qualysAssetDataXml } from './qualys-asset-data-xml.ts';
import { qualysDetectionCsv, qualysScanReportCsv } from './qualys-csv-formats.ts';
import { qualysHackerGuardianCsv, qualysPciCsv } from './qualys-pci-csv.ts';
import { qualysScanResultsCsv } from './qualys-scan-results-csv.ts';
import { qualysVmdrCsv } from './qualys-vmdr-csv.ts';
import { qualysWebguiScanXml } from './qualys-webgui-xml.ts';

/**
 * Most specific first: the Scan Report (its title line) and Scan Results (its run table) carry the
 * detail header the flat detection CSV is recognised by, further down. The others share no header.
 */
export const qualysFormats: readonly ReportFormat[] = [
  qualysScanReportCsv,
  qualysScanResultsCsv,
  qualysDetectionCsv,
  qualysPciCsv,
  qualysHackerGuardianCsv,
  qualysVmdrCsv,
  qualysAssetDataXml,
  qualysWebguiScanXml,
];
