-- AlterEnum
ALTER TYPE "VerificationScheme" ADD VALUE 'DISCORD';
